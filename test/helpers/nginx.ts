import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** What goes in nginx's `http` block (upstreams) and in its only `server` block (locations). */
export interface NginxConfig {
  http?: string;
  server: string;
}

/**
 * Starts nginx in the foreground on 127.0.0.1:`port` with `config.server` as its only server, in a
 * prefix directory of its own (no system service, no /etc/nginx): the test owns it and stops it.
 */
export async function startNginx(port: number, config: NginxConfig): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'signet-nginx-'));
  // nginx started as root runs its workers as nobody: they must be able to write their temp files.
  chmodSync(prefix, 0o777);
  for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, dir), { mode: 0o777 });
  const file = join(prefix, 'nginx.conf');
  writeFileSync(
    file,
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
${config.http ?? ''}
  server {
    listen 127.0.0.1:${port};
${config.server}
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX!, ['-p', prefix, '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
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
 * The nginx configuration docs/gateway.md shows, exactly (the two ```nginx blocks of its nginx
 * section: the upstreams for the `http` block, then the locations for the `server` block), with the
 * addresses of the forward-auth endpoint and the upstream of the test put in place of the documented
 * ones: what the end-to-end test proves is what the docs tell operators to write.
 */
export function forwardAuthNginxConfig(forwardAuth: string, upstream: string): Required<NginxConfig> {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/gateway.md', import.meta.url)), 'utf8');
  const section = doc.slice(doc.indexOf('\n### nginx'));
  const [http, server] = [...section.matchAll(/```nginx\n([\s\S]*?)```/g)].map((match) => match[1]!);
  if (http === undefined || server === undefined) throw new Error('docs/gateway.md has not the two nginx blocks (http, server)');
  const put = (block: string, documented: string, actual: string): string => {
    const line = `server ${documented};`;
    if (!block.includes(line)) throw new Error(`the nginx upstreams of docs/gateway.md no longer name ${documented}`);
    return block.replaceAll(line, `server ${new URL(actual).host};`);
  };
  return { http: put(put(http, DOCUMENTED_FORWARD_AUTH, forwardAuth), DOCUMENTED_UPSTREAM, upstream), server };
}

const DOCUMENTED_FORWARD_AUTH = '127.0.0.1:8081';
const DOCUMENTED_UPSTREAM = '127.0.0.1:5000';
