package main

import "runtime"

var isDarwin = runtime.GOOS == "darwin"
