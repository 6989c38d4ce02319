// Command etcd runs the etcd server of go.etcd.io/etcd/server/v3 for Plumbline's tests.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
