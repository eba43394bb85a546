// Command trivial is the reference floor of the load benchmark: a net/http
// handler writing one fixed body (the typical update response) for every
// path, on a loopback address. bench/run.sh measures it with the same wrk
// settings as our server and nginx.
//
//	trivial -addr 127.0.0.1:9312 -body FILE
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9312", "listen address (loopback only)")
	bodyFile := flag.String("body", "", "response body file")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatal("trivial only listens on a loopback address")
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		log.Fatal(err)
	}
	contentType := []string{"text/xml; charset=utf-8"}
	cacheControl := []string{"public, max-age=90"}
	length := []string{strconv.Itoa(len(body))}
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = contentType
		h["Cache-Control"] = cacheControl
		h["Content-Length"] = length
		_, _ = w.Write(body)
	})))
}
