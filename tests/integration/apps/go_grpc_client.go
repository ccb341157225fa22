// A gRPC client for the integration tests: go_grpc_client ADDR [--tls]
// Calls the services of go_grpc_server.go on one connection (--tls: TLS, the server's
// certificate not checked) once a line arrives on stdin, and prints "SERVICE METHOD CODE"
// for each call.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

type rawCodec struct{ proto encoding.Codec }

func (c rawCodec) Marshal(v interface{}) ([]byte, error) {
	if b, ok := v.(*[]byte); ok {
		return *b, nil
	}
	return c.proto.Marshal(v)
}

func (c rawCodec) Unmarshal(data []byte, v interface{}) error {
	if b, ok := v.(*[]byte); ok {
		*b = append([]byte(nil), data...)
		return nil
	}
	return c.proto.Unmarshal(data, v)
}

func (rawCodec) Name() string { return "proto" }

func report(service, method string, err error) {
	fmt.Println(service, method, int(status.Code(err)))
}

func main() {
	encoding.RegisterCodec(rawCodec{encoding.GetCodec("proto")})
	opt := grpc.WithInsecure()
	if len(os.Args) > 2 && os.Args[2] == "--tls" {
		opt = grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}))
	}
	bufio.NewReader(os.Stdin).ReadString('\n')
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, os.Args[1], opt, grpc.WithBlock())
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	for _, svc := range []string{"", "no.such.Service"} {
		_, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		report("grpc.health.v1.Health", "Check", err)
	}
	unary := func(req string) {
		in := []byte(req)
		var resp []byte
		err := conn.Invoke(ctx, "/beyla.test.Echo/Unary", &in, &resp)
		if err == nil && string(resp) != req {
			log.Fatalf("echo: %q for %q", resp, req)
		}
		report("beyla.test.Echo", "Unary", err)
	}
	for i := 0; i < 3; i++ {
		unary(strings.Repeat("u", 10+i*1000))
	}
	unary("status:5:not here")   // NotFound
	unary("status:14:try later") // Unavailable
	unary("status:3")            // InvalidArgument
	desc := &grpc.StreamDesc{StreamName: "Stream", ServerStreams: true}
	for _, req := range []string{"5", "2:10", "0"} { // OK; Aborted after 2 messages; none, OK
		s, err := conn.NewStream(ctx, desc, "/beyla.test.Echo/Stream")
		if err != nil {
			log.Fatal(err)
		}
		in := []byte(req)
		if err := s.SendMsg(&in); err != nil {
			log.Fatal(err)
		}
		s.CloseSend()
		for {
			var m []byte
			if err = s.RecvMsg(&m); err != nil {
				break
			}
		}
		if err == io.EOF {
			err = nil
		}
		report("beyla.test.Echo", "Stream", err)
	}
}
