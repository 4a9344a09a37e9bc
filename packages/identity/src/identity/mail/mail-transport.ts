import { ServiceUnavailableException } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

/** Where the identity module's mail goes. */
export interface MailOptions {
  /** The `From` of every mail, e.g. `Exchanger <no-reply@exchanger.example>`. */
  readonly from: string;
  /**
   * The SMTP relay, `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`.
   * Absent: each mail is written as an `.eml` file into `directory` instead (development).
   */
  readonly smtpUrl?: string;
  /** Where `.eml` files go when there is no SMTP relay (default `./mail`). */
  readonly directory?: string;
  /**
   * The pages of the host's app that receive a mailed token as `?token=…`: where a user
   * chooses a new password, where an address is confirmed.
   */
  readonly links: { readonly passwordReset: string; readonly emailVerification: string };
  /** How often the sender looks for due mail it was not told of (default 5 s). */
  readonly pollMs?: number;
}

/** One mail, ready to go. */
export interface Envelope {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** A refusal the relay will repeat whatever we do (5xx): the mail is failed, not retried. */
export class PermanentMailError extends Error {}

/** One SMTP transaction must not hold a sender (and its claimed row) longer than this. */
const SMTP_TIMEOUT_MS = 15_000;

export interface MailTransport {
  send(envelope: Envelope): Promise<void>;
  close(): void;
}

function smtpTransport(options: MailOptions & { smtpUrl: string }): MailTransport {
  const transporter = nodemailer.createTransport({
    url: options.smtpUrl,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    async send(envelope) {
      try {
        await transporter.sendMail({ from: options.from, ...envelope });
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        if (typeof code === 'number' && code >= 500) {
          throw new PermanentMailError((error as Error).message);
        }
        throw error;
      }
    },
    close: () => transporter.close(),
  };
}

/** Development without a relay: every mail an `.eml` file, the folder named in the log once. */
function fileTransport(options: MailOptions): MailTransport {
  const directory = options.directory ?? 'mail';
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const logger = new Logger('Mail');
  let told = false;
  let count = 0;
  return {
    async send(envelope) {
      const info = await transporter.sendMail({ from: options.from, ...envelope });
      await mkdir(directory, { recursive: true });
      count += 1;
      const file = join(
        directory,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${count}.eml`,
      );
      await writeFile(file, info.message as Buffer);
      if (!told) {
        told = true;
        logger.log(`No SMTP relay is configured: mail is written as .eml files into ${directory}`);
      }
    },
    close: () => transporter.close(),
  };
}

export function mailTransport(options: MailOptions): MailTransport {
  return options.smtpUrl === undefined
    ? fileTransport(options)
    : smtpTransport({ ...options, smtpUrl: options.smtpUrl });
}

/** The mail options of a flow that needs mail; without them its routes answer 503 saying so. */
export function mailFor(mail: MailOptions | undefined, flow: string): MailOptions {
  if (mail === undefined) throw new ServiceUnavailableException(`Mail is off: no ${flow}`);
  return mail;
}
