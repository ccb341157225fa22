// A node client for the integration tests: node node_client.js PORT [--tls]
// Waits for a line on stdin, then sends its requests over a keep-alive agent; --tls: https,
// the server's certificate not checked (the tests make it self-signed).
const tls = process.argv[3] === '--tls';
const http = require(tls ? 'https' : 'http');
const port = Number(process.argv[2]);
const agent = new http.Agent(tls ? { keepAlive: true, maxSockets: 1, rejectUnauthorized: false }
  : { keepAlive: true, maxSockets: 1 });
function req(method, path, body) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      res.resume();
      res.on('end', () => { console.log(method, path.split('?')[0], res.statusCode); resolve(); });
    });
    r.on('error', reject);
    if (body) r.write(body);
    r.end();
  });
}
process.stdin.once('data', async () => {
  for (let i = 0; i < 4; i++) await req('GET', '/json?n=' + i);
  await req('GET', '/chunked');
  await req('POST', '/echo', 'x'.repeat(1000));
  await req('GET', '/nope');
  agent.destroy();
  process.exit(0);
});
