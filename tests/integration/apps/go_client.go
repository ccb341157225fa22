// A net/http client for the integration tests: go_client BASE_URL
// An https:// base is trusted whatever its certificate, and spoken to in HTTP/1.1.
// Waits for a line on stdin, then sends its requests on keep-alive connections and prints
// "METHOD PATH STATUS" for each.
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	base := os.Args[1]
	bufio.NewReader(os.Stdin).ReadString('\n')
	c := &http.Client{}
	if strings.HasPrefix(base, "https:") {
		// A custom TLS config without ForceAttemptHTTP2 keeps the transport on HTTP/1.1.
		c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	do := func(method, path, body string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		resp, err := c.Do(req)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(method, strings.SplitN(path, "?", 2)[0], resp.StatusCode)
	}
	for i := 0; i < 5; i++ {
		do("GET", fmt.Sprintf("/hello?name=n%d", i), "")
	}
	do("POST", "/echo", strings.Repeat("p", 3000))
	do("GET", "/status/404", "")
	do("GET", "/status/503", "")
	do("GET", "/big", "")
}
