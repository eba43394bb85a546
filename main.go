// Command balrog is an update server compatible with Mozilla's Balrog.
package main

import (
	"os"

	"github.com/balrog-go/balrog/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:]))
}
