// pclnprog is built at test time by native/tests/gopclntab_test.cc with each
// installed Go toolchain; the test reads its .gopclntab and compares it with
// the ELF symbol table, `go tool addr2line` and DWARF.  Keep the shapes
// below (an inlined call, recursion, a method, a closure) stable: the test
// looks them up by name.
package main

import (
	"fmt"
	"os"
)

type counter struct{ n int }

// add is small enough to be inlined into its callers.
func add(a, b int) int { return a + b }

// Bump is a method; it calls the inlined add.
func (c *counter) Bump(by int) int {
	c.n = add(c.n, by)
	return c.n
}

// twice is inlined into main; its call of fib is a CALL inside an inlined
// body, so the return address of that call symbolizes to twice, then main.
func twice(n int) int { return fib(n) * 2 }

//go:noinline
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

//go:noinline
func makeAdder(k int) func(int) int {
	return func(x int) int {
		var buf [64]byte
		buf[x%64] = byte(k)
		return x + k + int(buf[k%64])
	}
}

func main() {
	c := &counter{}
	f := makeAdder(len(os.Args))
	total := 0
	for i := 0; i < 10; i++ {
		total += c.Bump(i) + f(i) + twice(i)
	}
	fmt.Println(total)
}
