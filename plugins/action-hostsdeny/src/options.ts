import { z } from '@portcullis/core/schema';

/** A TCP wrappers daemon list: process names, `ALL`, wildcards, comma or space separated; no `:` or newline. */
const daemonList = z
  .string()
  .trim()
  .min(1)
  .regex(
    /^[A-Za-z0-9_.@*?,\- ]+$/,
    'daemons must be a TCP wrappers daemon list such as "ALL" or "sshd, vsftpd"',
  );

/**
 * Options of the `hostsdeny` action.
 * `mode: 'inplace'` rewrites the existing inode instead of renaming a new file over it: use it when the file
 * is a bind mount (e.g. `/etc/netns/NS/hosts.deny`, which `ip netns exec` mounts over `/etc/hosts.deny`), since
 * a rename would swap the inode behind the mount and the daemon would keep seeing the old content.
 */
export const hostsDenyOptions = z.object({
  /** The file to maintain. */
  file: z.string().min(1).default('/etc/hosts.deny'),
  /** Daemon list written before each address (`ALL`, `sshd`, `sshd, vsftpd`). */
  daemons: daemonList.default('ALL'),
  /** `rename` (atomic, default) or `inplace` (needed for bind-mounted files). */
  mode: z.enum(['rename', 'inplace']).default('rename'),
  /** Keep our lines when the jail stops (they are re-applied anyway at the next start). */
  keepBansOnStop: z.boolean().default(false),
  /** How long to wait for another writer's lock before failing the batch (ms). */
  lockTimeout: z.number().int().positive().default(10_000),
});

/** Validated `hostsdeny` options. */
export type HostsDenyOptions = z.output<typeof hostsDenyOptions>;
