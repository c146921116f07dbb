import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's nginx binary (apt-get install nginx-light or nginx). */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));

export function hasAuthRequest(): boolean {
  if (NGINX === undefined) return false;
  const version = spawnSync(NGINX, ['-V'], { encoding: 'utf8' });
  return `${version.stdout}${version.stderr}`.includes('http_auth_request_module');
}

export interface RunningNginx {
  url: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground on 127.0.0.1:`port` with `serverBlock` as its only server, in a
 * prefix directory of its own (no system service, no /etc/nginx): the test owns it and stops it.
 */
export async function startNginx(port: number, serverBlock: string): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'signet-nginx-'));
  // nginx started as root runs its workers as nobody: they must be able to write their temp files.
  chmodSync(prefix, 0o777);
  for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, dir), { mode: 0o777 });
  const config = join(prefix, 'nginx.conf');
  writeFileSync(
    config,
    `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
${serverBlock}
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX!, ['-p', prefix, '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      await fetch(url + '/__nginx_probe');
      break;
    } catch {
      if (attempt > 100) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    errorLog: () => (existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : ''),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(prefix, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGQUIT');
      }),
  };
}

/**
 * The nginx configuration docs/gateway.md shows, for a forward-auth endpoint and an upstream:
 * auth_request asks Signet with the original method, URI and body announcement; the identity
 * headers Signet answers replace any the client sent; Authorization is not passed upstream.
 */
export function forwardAuthServerBlock(forwardAuth: string, upstream: string): string {
  const identity = ['Consumer-Id', 'Consumer-Name', 'Key-Id', 'Scopes', 'Mode'];
  const variable = (name: string) => `$signet_${name.toLowerCase().replace('-', '_')}`;
  return `
    location = /_signet_auth {
      internal;
      proxy_pass ${forwardAuth};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Content-Length $content_length;
      proxy_set_header X-Original-Transfer-Encoding $http_transfer_encoding;
    }
    location / {
      auth_request /_signet_auth;
${identity.map((name) => `      auth_request_set ${variable(name)} $upstream_http_signet_${name.toLowerCase().replace('-', '_')};`).join('\n')}
      auth_request_set $signet_www_authenticate $upstream_http_www_authenticate;
      add_header WWW-Authenticate $signet_www_authenticate always;
${identity.map((name) => `      proxy_set_header Signet-${name} ${variable(name)};`).join('\n')}
      proxy_set_header Authorization "";
      proxy_pass ${upstream};
    }`;
}
