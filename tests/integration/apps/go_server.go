// A net/http server for the integration tests:
//   go_server PORT                 HTTP/1.1
//   go_server PORT --h2c           HTTP/1.1, and HTTP/2 in clear text: prior knowledge or
//                                  an HTTP/1.1 Upgrade: h2c (golang.org/x/net/http2/h2c)
//   go_server PORT CERT KEY        HTTPS, HTTP/1.1 only
//   go_server PORT CERT KEY --h2   HTTPS, HTTP/2 offered by ALPN (net/http's default)
// Prints "METHOD PATH STATUS PROTO" for each request it answered.
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
	"sync"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

type logged struct {
	http.ResponseWriter
	status int
}

func (l *logged) WriteHeader(code int) {
	if l.status == 0 {
		l.status = code
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logged) Write(b []byte) (int, error) {
	if l.status == 0 {
		l.status = 200
	}
	return l.ResponseWriter.Write(b)
}

func (l *logged) Flush() { l.ResponseWriter.(http.Flusher).Flush() }

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
	mux.HandleFunc("/seq/", func(w http.ResponseWriter, r *http.Request) {
		// A path of its own for each request; a body of N % 1000 bytes.
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/seq/"))
		io.WriteString(w, strings.Repeat("q", n%1000))
	})
	var out sync.Mutex
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &logged{ResponseWriter: w}
		mux.ServeHTTP(l, r)
		if l.status == 0 {
			l.status = 200
		}
		out.Lock()
		fmt.Println(r.Method, r.URL.Path, l.status, r.Proto)
		out.Unlock()
	})
	args := os.Args[2:]
	srv := &http.Server{Addr: "127.0.0.1:" + os.Args[1]}
	switch {
	case len(args) == 1 && args[0] == "--h2c":
		srv.Handler = h2c.NewHandler(handler, &http2.Server{})
		log.Fatal(srv.ListenAndServe())
	case len(args) >= 2:
		srv.Handler = handler
		if len(args) < 3 || args[2] != "--h2" {
			// An empty map turns HTTP/2 off: ALPN offers http/1.1 only.
			srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		}
		log.Fatal(srv.ListenAndServeTLS(args[0], args[1]))
	}
	srv.Handler = handler
	log.Fatal(srv.ListenAndServe())
}
