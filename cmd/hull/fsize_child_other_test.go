//go:build !unix

package main

func fsizeChildHook() {}
