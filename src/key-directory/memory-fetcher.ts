import { DirectoryFetchError, type FetchedDirectory, type KeyDirectoryFetcher } from './fetcher.js';

/** A fake for tests: directories served from memory, with a count of fetches per URL. */
export class MemoryDirectoryFetcher implements KeyDirectoryFetcher {
  private readonly directories = new Map<string, FetchedDirectory | Error>();
  readonly fetches = new Map<string, number>();

  /** Serves `body` (or fails with `error`) at `url` from now on. */
  set(url: string, answer: FetchedDirectory | Error): void {
    this.directories.set(url, answer);
  }

  async fetch(url: string): Promise<FetchedDirectory> {
    this.fetches.set(url, (this.fetches.get(url) ?? 0) + 1);
    const answer = this.directories.get(url);
    if (answer === undefined) throw new DirectoryFetchError('status 404');
    if (answer instanceof Error) throw answer;
    return answer;
  }
}
