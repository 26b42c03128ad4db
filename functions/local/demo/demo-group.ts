/**
 * `refer demo`'s sample referral group: five partners in five time zones with their own booking
 * preferences, two power-partner pairs, one group, and the people they introduce. Every address
 * is under the reserved `.example` top-level domain, so nothing here can reach a real mailbox.
 */
export interface DemoPerson {
  readonly email: string;
  readonly name: string;
}

export interface DemoPartner extends DemoPerson {
  readonly timeZone: string;
  /** As `refer partner set` takes them. */
  readonly preferences: Readonly<Record<string, string>>;
}

export const ANA: DemoPartner = {
  email: 'ana.costa@costa-advisory.example',
  name: 'Ana Costa',
  timeZone: 'Europe/London',
  preferences: { 'working-hours': 'mon-fri 09:00-17:30', 'meeting-minutes': '30' },
};
export const VICTOR: DemoPartner = {
  email: 'victor@halewealth.example',
  name: 'Victor Hale',
  timeZone: 'America/New_York',
  preferences: { 'working-hours': 'mon-thu 08:30-16:00; fri 08:30-12:00', 'meeting-minutes': '45', 'buffer-minutes': '15' },
};
export const PRIYA: DemoPartner = {
  email: 'priya@nair-marketing.example',
  name: 'Priya Nair',
  timeZone: 'Asia/Kolkata',
  preferences: { 'working-hours': 'mon-fri 10:00-18:00', 'meeting-minutes': '30' },
};
export const MARCO: DemoPartner = {
  email: 'marco.rossi@rossi-legal.example',
  name: 'Marco Rossi',
  timeZone: 'Europe/Rome',
  preferences: { 'working-hours': 'mon-fri 09:30-13:00,14:30-18:00', 'meeting-minutes': '60', notice: '2 business days' },
};
export const JUN: DemoPartner = {
  email: 'jun@tanaka-insure.example',
  name: 'Jun Tanaka',
  timeZone: 'America/Los_Angeles',
  // Jun likes the prospect to choose: three proposed times by email instead of a booked meeting.
  preferences: { 'working-hours': 'mon-fri 08:00-16:00', 'meeting-minutes': '30', 'booking-mode': 'propose' },
};

export const DEMO_PARTNERS: readonly DemoPartner[] = [ANA, VICTOR, PRIYA, MARCO, JUN];

/** People introduced to partners (prospects), and people who write but are not partners. */
export const LENA: DemoPerson = { email: 'lena.park@parkdesignstudio.example', name: 'Lena Park' };
export const TOM: DemoPerson = { email: 'tom@okoye-robotics.example', name: 'Tom Okoye' };
export const HANNAH: DemoPerson = { email: 'hannah.weiss@trattoria-weiss.example', name: 'Hannah Weiss' };
export const DANIEL: DemoPerson = { email: 'daniel.kim@kimlogistics.example', name: 'Daniel Kim' };
export const SOFIA: DemoPerson = { email: 'sofia@reyes-consulting.example', name: 'Sofia Reyes' };
export const CHRIS: DemoPerson = { email: 'chris@doyle-print.example', name: 'Chris Doyle' };
export const NINA: DemoPerson = { email: 'nina.patel@patel-dental.example', name: 'Nina Patel' };

export interface DemoPair {
  readonly a: DemoPartner;
  readonly b: DemoPartner;
  readonly weekly: { readonly day: 'mon' | 'tue' | 'wed' | 'thu' | 'fri'; readonly time: string };
  readonly timeZone: string;
  readonly oneToOne: 'monthly' | 'quarterly';
  readonly goalPerMonth: number;
}

export const DEMO_PAIRS: readonly DemoPair[] = [
  { a: ANA, b: VICTOR, weekly: { day: 'mon', time: '08:00' }, timeZone: 'Europe/London', oneToOne: 'monthly', goalPerMonth: 2 },
  { a: PRIYA, b: MARCO, weekly: { day: 'fri', time: '09:00' }, timeZone: 'Europe/Rome', oneToOne: 'quarterly', goalPerMonth: 1 },
];

export const DEMO_GROUP = { name: 'Thursday Breakfast Club', members: DEMO_PARTNERS, timeZone: 'Europe/London' } as const;
