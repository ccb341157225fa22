// A node server for the integration tests: node node_server.js PORT [CERT KEY]
// With a certificate and key it serves https, else http.
const fs = require('fs');
const port = Number(process.argv[2]);
const tls = process.argv.length > 4;
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
const server = tls
  ? require('https').createServer({ cert: fs.readFileSync(process.argv[3]), key: fs.readFileSync(process.argv[4]) },
    handler)
  : require('http').createServer(handler);
server.listen(port, '127.0.0.1');
