// Transparent huge pages for the few big buffers a report fills once
// (100,000 goroutine records, 50 MB of text).  Each first touch of a 4 KB
// page is a page fault; on the virtual machines this project is measured on
// a fault costs microseconds, and faults were a third of the CPU time of
// `cgostack goroutines` on 100,000 goroutines.  With huge pages it is one
// fault per 2 MB.  The kernel honours the advice in THP mode "madvise"
// (Debian's default) and "always"; with "never" this changes nothing.
#pragma once

#include <cstddef>

namespace cgostack {

// Advises huge pages for the 2 MB-aligned part of [data, data + bytes);
// small buffers are left alone.  Call it before the buffer is written.
void AdviseHugePages(const void* data, size_t bytes);

}  // namespace cgostack
