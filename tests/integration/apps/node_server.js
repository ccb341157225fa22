// A node server for the integration tests: node node_server.js PORT [CERT KEY] [--h2]
// With a certificate and key it serves https, else http; --h2: HTTP/2 (the http2 module,
// its compatibility API: the same handler), h2c without a certificate.
const fs = require('fs');
const args = process.argv.slice(2).filter((a) => a !== '--h2');
const h2 = process.argv.includes('--h2');
const port = Number(args[0]);
const tls = args.length > 2;
// 1..23 bytes: 64 of them and their framing stay under the default 4 KiB payload prefix.
const writesChunk = (i) => String.fromCharCode(97 + (i % 26)).repeat(1 + ((i * 7) % 23));
const handler = (req, res) => {
  let body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://x'); // only the path and query are used
    if (url.pathname === '/json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: true, n: url.searchParams.get('n') }));
    } else if (url.pathname === '/chunked') {
      res.write('part one,');
      setTimeout(() => res.end('part two'), 5);
    } else if (url.pathname.startsWith('/writes/')) {
      // N res.write() calls in one tick: node corks them into one writev of about 3 iovecs
      // each (chunk size, data, CRLF). Chunk i is writesChunk(i).
      const n = Number(url.pathname.split('/')[2]);
      for (let i = 0; i < n; i++) res.write(writesChunk(i));
      res.end();
    } else if (url.pathname === '/echo') {
      res.end(Buffer.concat(body));
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
};
const creds = () => ({ cert: fs.readFileSync(args[1]), key: fs.readFileSync(args[2]) });
let server;
if (h2) {
  const http2 = require('http2');
  server = tls ? http2.createSecureServer(creds(), handler) : http2.createServer(handler);
} else {
  server = tls ? require('https').createServer(creds(), handler) : require('http').createServer(handler);
}
server.listen(port, '127.0.0.1');
