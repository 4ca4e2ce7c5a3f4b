// Preload (node --import) that makes listen(port) bind 127.0.0.1 instead of every interface,
// for peers such as server-everything that call app.listen(PORT) without a host.
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  const isPort = typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first));
  if (isPort && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  else if (first && typeof first === 'object' && !first.path && first.host === undefined) first.host = '127.0.0.1';
  return listen.apply(this, args);
};
