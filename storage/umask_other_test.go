//go:build !unix

package storage

func setUmask(int) {}
