// A node http server for the integration tests: node node_server.js PORT
const http = require('http');
const port = Number(process.argv[2]);
http.createServer((req, res) => {
  let body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: true, n: url.searchParams.get('n') }));
    } else if (url.pathname === '/chunked') {
      res.write('part one,');
      setTimeout(() => res.end('part two'), 5);
    } else if (url.pathname === '/echo') {
      res.end(Buffer.concat(body));
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
}).listen(port, '127.0.0.1');
