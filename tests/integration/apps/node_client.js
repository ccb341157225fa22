// A node client for the integration tests: node node_client.js PORT [--tls] [--h2]
// Waits for a line on stdin, then sends its requests over a keep-alive agent (--h2: one
// HTTP/2 session, the http2 module; h2c without --tls); --tls: https, the server's
// certificate not checked (the tests make it self-signed).
const tls = process.argv.includes('--tls');
const h2 = process.argv.includes('--h2');
const port = Number(process.argv[2]);
let req;
let done;
if (h2) {
  const session = require('http2').connect((tls ? 'https' : 'http') + '://127.0.0.1:' + port,
    { rejectUnauthorized: false });
  req = (method, path, body) => new Promise((resolve, reject) => {
    const r = session.request({ ':method': method, ':path': path });
    r.on('response', (headers) => {
      r.on('end', () => { console.log(method, path.split('?')[0], headers[':status']); resolve(); });
      r.resume();
    });
    r.on('error', reject);
    r.end(body || undefined);
  });
  done = () => session.close();
} else {
  const http = require(tls ? 'https' : 'http');
  const agent = new http.Agent(tls ? { keepAlive: true, maxSockets: 1, rejectUnauthorized: false }
    : { keepAlive: true, maxSockets: 1 });
  req = (method, path, body) => new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      res.resume();
      res.on('end', () => { console.log(method, path.split('?')[0], res.statusCode); resolve(); });
    });
    r.on('error', reject);
    if (body) r.write(body);
    r.end();
  });
  done = () => agent.destroy();
}
process.stdin.once('data', async () => {
  for (let i = 0; i < 4; i++) await req('GET', '/json?n=' + i);
  await req('GET', '/chunked');
  await req('POST', '/echo', 'x'.repeat(1000));
  await req('GET', '/nope');
  done();
  process.exit(0);
});
