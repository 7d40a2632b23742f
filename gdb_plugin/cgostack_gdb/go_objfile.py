"""Which of GDB's objfiles hold Go code: the ELF file has the runtime's pc
table (.gopclntab) or build info (.go.buildinfo), which even `-s -w`
binaries keep.  Read from the file's section headers, without symbols."""

import struct


def is_go(path):
    try:
        with open(path, "rb") as f:
            ident = f.read(64)
            if len(ident) < 64 or ident[:4] != b"\x7fELF" or ident[4] != 2:  # ELF64 only (x86-64, aarch64)
                return False
            shoff, = struct.unpack_from("<Q", ident, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from("<HHH", ident, 0x3A)
            if not shoff or shentsize < 64 or shstrndx >= shnum or shnum > 65535:
                return False
            f.seek(shoff + shstrndx * shentsize)
            hdr = f.read(64)
            if len(hdr) < 64:
                return False
            offset, size = struct.unpack_from("<QQ", hdr, 0x18)
            if size > 1 << 20:
                return False
            f.seek(offset)
            names = f.read(size)
    except OSError:
        return False
    return b".gopclntab\0" in names or b".go.buildinfo\0" in names
