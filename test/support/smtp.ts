import { type ParsedMail, simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SMTPServer } from 'smtp-server';
import { ownDatabases } from './own-databases.js';
import { startTestApp } from './test-app.js';

/** How the server answers a mail for now. */
export type SmtpMood =
  | 'accept'
  /** 421: the service is not available (a relay restarting): try again later. */
  | 'unavailable'
  /** 550: refused for good (a mailbox that does not exist). */
  | 'refuse';

/**
 * A real SMTP server in the test process (smtp-server): it takes mail as a relay does, parses
 * each with mailparser, and can refuse (421, 550) or be gone (closed) and come back on the
 * same port.
 */
export class TestSmtpServer {
  readonly received: ParsedMail[] = [];
  mood: SmtpMood = 'accept';
  private server: SMTPServer | undefined;
  private port = 0;

  async start(port = 0): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onMailFrom: (_address, _session, callback) => {
        if (this.mood === 'accept') return callback();
        const error = new Error(
          this.mood === 'unavailable' ? 'Service not available, try later' : 'No such mailbox',
        ) as Error & { responseCode: number };
        error.responseCode = this.mood === 'unavailable' ? 421 : 550;
        return callback(error);
      },
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.received.push(mail);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Mail to one address, in order of arrival. */
  to(address: string): ParsedMail[] {
    return this.received.filter((mail) =>
      [mail.to ?? []].flat().some((to) => to.value.some((value) => value.address === address)),
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Gone: connections are refused until `restart`. */
  async goAway(): Promise<void> {
    await this.stop();
  }

  async restart(): Promise<void> {
    await this.start(this.port);
  }
}

/**
 * A deployment of its own (four databases) whose mail goes to a test SMTP server: any other
 * process on shared databases would run a mail sender and take its mail.
 */
export interface MailDeployment {
  readonly smtp: TestSmtpServer;
  readonly app: NestFastifyApplication;
  close(): Promise<void>;
}

export async function mailDeployment(
  label: string,
  env: Record<string, string> = {},
): Promise<MailDeployment> {
  const smtp = await new TestSmtpServer().start();
  const databases = await ownDatabases(label);
  const app = await startTestApp({ ...databases.env, SMTP_URL: smtp.url, ...env });
  return {
    smtp,
    app,
    async close() {
      await app.close();
      await smtp.stop();
      await databases.drop();
    },
  };
}
