// dynalite ships no types; this is the slice of its API the stand-ins use.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    /** LevelDB path; in-memory when omitted. */
    path?: string;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}
