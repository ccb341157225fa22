// A net/http server for the integration tests: go_server PORT [CERT KEY]
// With a certificate it serves HTTPS, HTTP/1.1 only.
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", r.URL.Query().Get("name"))
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil {
			code = 400
		}
		w.WriteHeader(code)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// Chunked: no Content-Length, larger than the payload prefix.
		chunk := strings.Repeat("x", 8192)
		for i := 0; i < 16; i++ {
			io.WriteString(w, chunk)
			w.(http.Flusher).Flush()
		}
	})
	srv := &http.Server{Addr: "127.0.0.1:" + os.Args[1], Handler: mux}
	if len(os.Args) > 3 {
		// An empty map turns HTTP/2 off: ALPN offers http/1.1 only.
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		log.Fatal(srv.ListenAndServeTLS(os.Args[2], os.Args[3]))
	}
	log.Fatal(srv.ListenAndServe())
}
