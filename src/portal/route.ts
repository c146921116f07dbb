import { useEffect, useState } from 'preact/hooks';

/** A hash route, `#/enroll?code=...` -> { path: '/enroll', params: { code } }. Hash routes need no server routes. */
export interface Route {
  path: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [path = '', query = ''] = text.split('?', 2);
  return { path: path === '' ? '/' : path, params: new URLSearchParams(query) };
}

export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function go(path: string): void {
  location.hash = `#${path}`;
}
