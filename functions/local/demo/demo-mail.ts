import { escapeHtml } from '../../domain/shared/html.ts';
import MailComposer, { type MailComposerOptions } from 'nodemailer/lib/mail-composer';
import { ANA, CHRIS, DANIEL, HANNAH, JUN, LENA, MARCO, NINA, PRIYA, SOFIA, TOM, VICTOR, type DemoPerson } from './demo-group.ts';

/** One message `refer demo` sends to the capture address, and what it is meant to show. */
export interface DemoMessage {
  /** What this message demonstrates, as the demo prints it. */
  readonly shows: string;
  /** The SMTP envelope sender. */
  readonly from: string;
  readonly raw: Buffer;
  /** The outcome local mode should record for it. */
  readonly expected: 'captured' | 'attached' | 'ignored' | 'rejected';
}

const address = (person: DemoPerson) => ({ name: person.name, address: person.email });

/**
 * The demo's mail, as real MIME built with nodemailer's composer (as a mail client would send
 * it): three introductions written with the capture address in Cc, one forwarded to it, a reply
 * in a thread, an out-of-office auto-reply and an introduction from someone who is not a partner.
 * Message-IDs are fixed, so running the demo again records duplicates rather than new
 * introductions; the dates are the time of sending.
 */
export async function demoMessages(captureAddress: string, now: Date): Promise<DemoMessage[]> {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  const capture = { name: 'Referral desk', address: captureAddress };
  const ids = {
    lena: '<demo-intro-lena-victor@costa-advisory.example>',
    tom: '<demo-intro-tom-ana@halewealth.example>',
    hannah: '<demo-intro-hannah-marco@nair-marketing.example>',
    danielOriginal: '<demo-intro-daniel-jun@reyes-consulting.example>',
    danielForward: '<demo-forward-daniel-jun@tanaka-insure.example>',
    lenaReply: '<demo-reply-lena@parkdesignstudio.example>',
    tomAway: '<demo-autoreply-tom@okoye-robotics.example>',
    nina: '<demo-intro-nina-marco@doyle-print.example>',
  };
  const lenaIntro = `Victor, meet Lena Park. Lena runs Park Design Studio (twelve people and growing fast) and asked me last week who could help her set up a retirement plan for her team. You were the first person I thought of.

Lena, Victor is the financial planner I told you about: he looks after several of my clients and they all say the same thing, that he explains things properly and then gets them done.

I'll let you two take it from here.

Best,
Ana`;
  const tomIntro = `Hi Ana, hi Tom,

Tom, I'd like to introduce you to Ana Costa, the accountant I mentioned over lunch. She works with a lot of owner-managed businesses and knows R&D tax credits inside out.

Ana, Tom founded Okoye Robotics last year and is looking for an accountant who understands hardware start-ups before his first funding round.

Connecting you two so you can find a time.

Victor`;
  const danielIntro = `Jun, meet Daniel Kim. Daniel runs Kim Logistics (forty trucks out of Oakland) and his fleet insurance renews in two months; he is not happy with his current broker.

Daniel, Jun is the insurance broker I told you about. He saved one of my clients a fortune last year.

Sofia`;
  const messages: { shows: string; expected: DemoMessage['expected']; from: DemoPerson; options: MailComposerOptions }[] = [
    {
      shows: 'Ana introduces Lena Park to Victor (Cc the capture address): captured, booked in Victor’s calendar',
      expected: 'captured',
      from: ANA,
      options: {
        from: address(ANA),
        to: [address(VICTOR), address(LENA)],
        cc: [capture],
        subject: 'Intro: Lena Park <> Victor Hale',
        text: lenaIntro,
        html: paragraphs(lenaIntro),
        messageId: ids.lena,
        date: at(9),
      },
    },
    {
      shows: 'Victor introduces Tom Okoye to Ana: captured, booked in Ana’s calendar',
      expected: 'captured',
      from: VICTOR,
      options: { from: address(VICTOR), to: [address(ANA), address(TOM)], cc: [capture], subject: 'Connecting you two: Tom Okoye and Ana Costa', text: tomIntro, messageId: ids.tom, date: at(8) },
    },
    {
      shows: 'Priya introduces Hannah Weiss to Marco: captured, booked in Marco’s calendar',
      expected: 'captured',
      from: PRIYA,
      options: {
        from: address(PRIYA),
        to: [address(MARCO), address(HANNAH)],
        cc: [capture],
        subject: 'Marco, meet Hannah Weiss',
        text: `Marco, meet Hannah Weiss. Hannah is opening a second restaurant in Milan this spring and needs someone to go through the lease before she signs. I told her you are the best commercial property lawyer I know.

Hannah, Marco Rossi, as promised.

Priya`,
        messageId: ids.hannah,
        date: at(7),
      },
    },
    {
      shows: 'Jun forwards an introduction Sofia Reyes sent him: captured with Sofia as the introducer; Jun proposes times to Daniel',
      expected: 'captured',
      from: JUN,
      options: {
        from: address(JUN),
        to: [capture],
        subject: 'Fwd: Jun <> Daniel: fleet insurance',
        text: `Logging this one from Sofia.

---------- Forwarded message ---------
From: ${SOFIA.name} <${SOFIA.email}>
Date: ${at(60 * 20).toUTCString()}
Subject: Jun <> Daniel: fleet insurance
To: ${JUN.name} <${JUN.email}>, ${DANIEL.name} <${DANIEL.email}>

${danielIntro}`,
        messageId: ids.danielForward,
        references: [ids.danielOriginal],
        date: at(6),
      },
    },
    {
      shows: 'Lena replies to all on Ana’s introduction: attached to its thread',
      expected: 'attached',
      from: LENA,
      options: {
        from: address(LENA),
        to: [address(ANA), address(VICTOR)],
        cc: [capture],
        subject: 'Re: Intro: Lena Park <> Victor Hale',
        text: `Thank you, Ana! Victor, lovely to e-meet you. I will bring the numbers for the team.

Lena

On ${at(9).toUTCString()}, Ana Costa <${ANA.email}> wrote:
${lenaIntro
  .split('\n')
  .map((line) => `> ${line}`)
  .join('\n')}`,
        messageId: ids.lenaReply,
        inReplyTo: ids.lena,
        references: [ids.lena],
        date: at(5),
      },
    },
    {
      shows: 'Tom’s out-of-office answers everyone on Victor’s introduction: ignored, with the reason',
      expected: 'ignored',
      from: TOM,
      options: {
        from: address(TOM),
        to: [address(VICTOR)],
        cc: [address(ANA), capture],
        subject: 'Automatic reply: Connecting you two: Tom Okoye and Ana Costa',
        text: 'Thank you for your email. I am at the Hannover Messe until Friday with limited access to email and will reply when I am back.\n\nTom Okoye\nOkoye Robotics',
        messageId: ids.tomAway,
        inReplyTo: ids.tom,
        references: [ids.tom],
        date: at(4),
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
      },
    },
    {
      shows: 'Chris Doyle, who is not a partner, introduces Nina Patel to Marco: rejected, nobody emailed',
      expected: 'rejected',
      from: CHRIS,
      options: {
        from: address(CHRIS),
        to: [address(MARCO), address(NINA)],
        cc: [capture],
        subject: 'Marco, meet Nina Patel',
        text: 'Marco, meet Nina Patel. Nina is buying the dental practice next to my print shop and needs a lawyer for the purchase.\n\nNina, Marco is great.\n\nChris',
        messageId: ids.nina,
        date: at(3),
      },
    },
  ];
  return Promise.all(
    messages.map(async (message) => ({ shows: message.shows, expected: message.expected, from: message.from.email, raw: await compose(message.options) })),
  );
}

function compose(options: MailComposerOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new MailComposer(options).compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
}

/** The HTML part a mail client writes for plain paragraphs. */
function paragraphs(text: string): string {
  return `<div dir="ltr">${text
    .split('\n\n')
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('')}</div>`;
}
