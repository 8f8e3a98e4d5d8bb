/**
 * Paths bots probe for (fail2ban's botsearch-common, extended): webmail, phpMyAdmin and its usual
 * disguises, WordPress entry points, database admin tools, `cgi-bin`, the w00tw00t (DFind) scanner,
 * router exploits (`boaform`, `HNAP1`), and leaked configuration (`.env`, `.git`).
 * Matched as the first path component below the document root, as fail2ban does: a name may go on
 * (`mails`, `mail_this_entry`, `pma2012`, `pmapper-3.2`, `phpMyAdmin-4.9`), but `mail` may not be a
 * script's name (`/var/www/forum/mail.php` is a site's own page, not a probe).
 */
export const BOT_PATH =
  '(?:(?:roundcube|horde|(?:v-?)?webmail|squirrelmail)[\\w.-]*|(?:ext)?mail[\\w-]*(?!\\.)|(?:typo3/|xampp/|admin/)?(?:pma|PMA|(?:php)?[Mm]y[Aa]dmin)[\\w.-]*' +
  '|phpmyadmin[\\w.-]*|dbadmin|mysqladmin|mysql|sqladmin|wp-(?:login|signup|admin)\\.php|xmlrpc\\.php' +
  '|cgi-bin|w00tw00t[^\\s,/]*|boaform|HNAP1|\\.env|\\.git)(?![\\w-])';

/**
 * Directory names that end a document root (`/var/www/`, `/var/www/html/`, `/srv/www/htdocs/`,
 * `…/httpdocs/`, `~/public_html/`, `/srv/http/`, or one vhost directory below `/var/www/`): a probe path
 * is looked for right below one of them.
 */
export const DOCROOT =
  '(?:/(?:[^\\s,/]+/)*(?:www|html|htdocs|httpdocs|public_html|http|wwwroot|webroot|web)/' +
  // one virtual-host directory below /var/www or /srv/www (`/var/www/example.com/phpMyAdmin`)
  '|/(?:var|srv)/www/[^\\s,/]+/)';
