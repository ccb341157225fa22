// A gRPC server for the integration tests: go_grpc_server PORT [CERT KEY]
// Built from Debian's google.golang.org/grpc sources (GOPATH), no generated code:
//   - grpc.health.v1.Health/Check: the standard health service (NotFound for an unknown
//     service name);
//   - beyla.test.Echo/Unary: answers the request's bytes, or, for a request "status:N[:msg]",
//     fails with gRPC status N;
//   - beyla.test.Echo/Stream (server streaming): a request "N[:status]" is answered by N
//     messages of 100 bytes, then ends OK or with that status.
// Messages of the Echo service are raw bytes (a codec that passes []byte through and
// hands every other message to the proto codec). Prints "SERVICE METHOD CODE" per call.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/health"
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

var out sync.Mutex

func logCall(fullMethod string, err error) {
	parts := strings.Split(strings.TrimPrefix(fullMethod, "/"), "/")
	out.Lock()
	fmt.Println(parts[0], parts[1], int(status.Code(err)))
	out.Unlock()
}

// "status:N[:msg]" -> N, msg
func wantedStatus(req string) (codes.Code, string, bool) {
	if !strings.HasPrefix(req, "status:") {
		return codes.OK, "", false
	}
	f := strings.SplitN(strings.TrimPrefix(req, "status:"), ":", 2)
	n, _ := strconv.Atoi(f[0])
	msg := "asked for"
	if len(f) > 1 {
		msg = f[1]
	}
	return codes.Code(n), msg, true
}

func unary(srv interface{}, ctx context.Context, dec func(interface{}) error, icpt grpc.UnaryServerInterceptor) (interface{}, error) {
	var req []byte
	if err := dec(&req); err != nil {
		return nil, err
	}
	h := func(ctx context.Context, r interface{}) (interface{}, error) {
		if code, msg, ok := wantedStatus(string(*r.(*[]byte))); ok {
			return nil, status.Error(code, msg)
		}
		return r, nil
	}
	return icpt(ctx, &req, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/beyla.test.Echo/Unary"}, h)
}

func stream(srv interface{}, s grpc.ServerStream) error {
	var req []byte
	if err := s.RecvMsg(&req); err != nil {
		return err
	}
	f := strings.SplitN(string(req), ":", 2)
	n, _ := strconv.Atoi(f[0])
	msg := []byte(strings.Repeat("s", 100))
	for i := 0; i < n; i++ {
		if err := s.SendMsg(&msg); err != nil {
			return err
		}
	}
	if len(f) > 1 {
		code, _ := strconv.Atoi(f[1])
		return status.Error(codes.Code(code), "stream ends so")
	}
	return nil
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: "beyla.test.Echo",
	HandlerType: (*interface{})(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Unary", Handler: unary}},
	Streams:     []grpc.StreamDesc{{StreamName: "Stream", Handler: stream, ServerStreams: true}},
}

func main() {
	encoding.RegisterCodec(rawCodec{encoding.GetCodec("proto")})
	opts := []grpc.ServerOption{
		grpc.UnaryInterceptor(func(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (interface{}, error) {
			resp, err := h(ctx, req)
			logCall(info.FullMethod, err)
			return resp, err
		}),
		grpc.StreamInterceptor(func(srv interface{}, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			err := h(srv, ss)
			logCall(info.FullMethod, err)
			return err
		}),
	}
	if len(os.Args) > 3 {
		creds, err := credentials.NewServerTLSFromFile(os.Args[2], os.Args[3])
		if err != nil {
			log.Fatal(err)
		}
		opts = append(opts, grpc.Creds(creds))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	s.RegisterService(&echoDesc, struct{}{})
	log.Fatal(s.Serve(lis))
}
