import type { BanStore } from '../contract/ban-store.js';
import type { BanTicket } from '../contract/ban-ticket.js';
import type { Logger } from '../util/logger.js';

/**
 * Write bans to the store in one transaction when it can (a WAL commit costs far more than an insert), one
 * at a time when it cannot. A store that throws does not stop banning: a host that must be blocked now
 * matters more than the record, and the log says so loudly.
 */
export function recordBans(store: BanStore, bans: readonly BanTicket[], logger: Logger): void {
  if (bans.length === 0) return;
  if (!store.addBans) {
    for (const ticket of bans) {
      try {
        store.addBan(ticket);
      } catch (error) {
        logger.error({ err: error, ip: ticket.ip, jail: ticket.jail }, 'could not record the ban in the store');
      }
    }
    return;
  }
  try {
    store.addBans(bans);
  } catch (error) {
    logger.error({ err: error, count: bans.length }, `could not record ${bans.length} ban(s) in the store`);
  }
}
