// A net/http client for the integration tests: go_client BASE_URL [--h2] [--steady]
// An https:// base is trusted whatever its certificate. Without --h2 it is spoken to in
// HTTP/1.1; with --h2 in HTTP/2: over TLS by ALPN, in clear text with prior knowledge.
// Waits for a line on stdin, then sends its requests on keep-alive connections (--h2: one
// connection, a few requests at once at the end) and prints "METHOD PATH STATUS" for each.
// --steady: at once, on one connection, a request every 100 ms until a line arrives on
// stdin, each printed "METHOD PATH STATUS REQUEST_BYTES RESPONSE_BYTES".
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

func main() {
	base := os.Args[1]
	h2, steady := false, false
	for _, a := range os.Args[2:] {
		h2 = h2 || a == "--h2"
		steady = steady || a == "--steady"
	}
	c := &http.Client{}
	switch {
	case h2 && strings.HasPrefix(base, "https:"):
		c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	case h2:
		c.Transport = &http2.Transport{AllowHTTP: true, DialTLS: func(network, addr string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, addr)
		}}
	case strings.HasPrefix(base, "https:"):
		// A custom TLS config without ForceAttemptHTTP2 keeps the transport on HTTP/1.1.
		c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	var out sync.Mutex
	do := func(method, path, body string) int64 {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		resp, err := c.Do(req)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if h2 && resp.ProtoMajor != 2 {
			fmt.Println("error: not HTTP/2:", resp.Proto)
			os.Exit(1)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out.Lock()
		defer out.Unlock()
		if steady {
			fmt.Println(method, strings.SplitN(path, "?", 2)[0], resp.StatusCode, len(body), n)
		} else {
			fmt.Println(method, strings.SplitN(path, "?", 2)[0], resp.StatusCode)
		}
		return n
	}
	stdin := bufio.NewReader(os.Stdin)
	if steady {
		stop := make(chan struct{})
		go func() { stdin.ReadString('\n'); close(stop) }()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			// Paths, methods and statuses that come back are indexed in HPACK's dynamic
			// tables early: a tracer that joins later cannot read those references.
			switch i % 4 {
			case 0:
				do("GET", fmt.Sprintf("/seq/%d", i), "")
			case 1:
				do("GET", "/hello", "")
			case 2:
				do("GET", "/status/418", "")
			case 3:
				do("PUT", "/echo", strings.Repeat("e", i))
			}
		}
	}
	stdin.ReadString('\n')
	for i := 0; i < 5; i++ {
		do("GET", fmt.Sprintf("/hello?name=n%d", i), "")
	}
	do("POST", "/echo", strings.Repeat("p", 3000))
	do("GET", "/status/404", "")
	do("GET", "/status/503", "")
	do("GET", "/big", "")
	if h2 {
		var wg sync.WaitGroup
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i%2 == 0 {
					do("GET", "/big", "")
				} else {
					do("POST", "/echo", strings.Repeat("c", 20000))
				}
			}(i)
		}
		wg.Wait()
	}
}
