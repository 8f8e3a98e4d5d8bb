import { hostname } from 'node:os';
import { type BanTicket, type CampaignEvent, formatDuration } from '@portcullis/core';
import { cleanLine, fillTemplate } from './clean-text.js';
import type { Mail } from './compose-message.js';

/**
 * A campaign (many sources, one target) is mailed once, when it starts: its bans — one per address or
 * subnet of a botnet, hundreds of them — are what the notice announces, so they are not mailed one by one.
 */
export function isCampaignBan(ticket: BanTicket): boolean {
  return ticket.reason === 'campaign';
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The message for a campaign that started. The target is a user name the attacker chose. */
export function campaignMessage(event: CampaignEvent, subject: string): Mail {
  const target = cleanLine(event.target, 64);
  const body = [
    `Portcullis on ${hostname()} sees a distributed attack on "${target}" in jail ${event.jail}.`,
    '',
    `Target:    ${target} (a user name, or the jail when the filter captures none)`,
    `Jail:      ${event.jail}`,
    `Failures:  ${event.failures} from ${event.sources} distinct sources`,
    `Started:   ${iso(event.time)}`,
    `Until:     ${iso(event.until)} (${formatDuration(event.until - event.time)})`,
    '',
    'Until then, hosts that keep failing on this name are banned (reason "campaign"), and so are the',
    'subnets they fail from; hosts that logged in successfully in the last 30 days are never banned.',
    'These bans are not mailed one by one: this notice stands for all of them (`portcullis banned`,',
    '`portcullis status <jail>` list them).',
  ];
  return {
    subject: fillTemplate(subject, { jail: event.jail, target, failures: event.failures, sources: event.sources }),
    text: `${body.join('\n')}\n`,
  };
}
