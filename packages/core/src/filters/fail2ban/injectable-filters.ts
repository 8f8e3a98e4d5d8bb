/**
 * fail2ban filter.d files whose own regexes take a host from text an attacker writes: the testkit's hostile
 * corpus makes them report a marker address (`test/fail2ban-hostile.test.ts` checks that this list is
 * exactly the set that does). A config refuses them unless the jail says `unsafe: true`.
 */
export const INJECTABLE_FAIL2BAN_FILTERS: Readonly<Record<string, string>> = {
  'courier-auth': 'a user name holding `, ip=[address]` is read before courier\'s own ip=[…]; use the native courier-auth filter (@portcullis/filter-courier)',
  'pam-generic': 'ruser and user are matched lazily, so a user name holding ` rhost=address` can be taken for the host',
};
