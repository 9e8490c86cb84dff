module dumpscope/capture

go 1.19
