// A node https server for the integration tests: node node_tls_server.js PORT CERT KEY
const https = require('https');
const fs = require('fs');
const port = Number(process.argv[2]);
const tls = { cert: fs.readFileSync(process.argv[3]), key: fs.readFileSync(process.argv[4]) };
https.createServer(tls, (req, res) => {
  let body = [];
  req.on('data', (c) => body.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'https://x');
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
