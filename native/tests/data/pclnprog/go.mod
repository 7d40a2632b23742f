module pclnprog

go 1.19
