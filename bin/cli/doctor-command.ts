import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { promises as dns } from 'node:dns';
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../../functions/adapters/dynamodb/document-client.ts';
import { DynamoPartnerStore } from '../../functions/adapters/dynamodb/partner-store.ts';
import { doctorJsonLines, formatDoctorReport, runDoctor, type DoctorReport } from './doctor.ts';

/** The stack name `bin/app.ts` deploys. */
export const DEFAULT_STACK_NAME = 'Refer';

/** Errors of the AWS SDK's setup that the operator fixes in their shell, not in the stack. */
const SETUP_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException']);
/** No way to the AWS endpoint (offline, a wrong region name, a proxy in the way). */
const NETWORK_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']);

/**
 * `refer doctor [--stack NAME] [--region REGION] [--json]`: checks the deployed stack with the
 * caller's AWS credentials. Exit code 0 when everything is in place, 1 when something is missing,
 * 2 when it could not look (no credentials, no region).
 */
export async function doctorCommand(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' }, stack: { type: 'string' }, region: { type: 'string' } } });
  const config = values.region ? { region: values.region } : {};
  const clients = {
    cloudFormation: new CloudFormationClient(config),
    sesv2: new SESv2Client(config),
    ses: new SESClient(config),
    secrets: new SecretsManagerClient(config),
  };
  let report: DoctorReport;
  try {
    report = await runDoctor(
      {
        ...clients,
        resolveMx: (hostname) => dns.resolveMx(hostname),
        listPartners: async (tableName) => {
          const client = createDocumentClient(config);
          try {
            return await new DynamoPartnerStore({ client, tableName }).listPartners();
          } finally {
            client.destroy();
          }
        },
      },
      { stackName: values.stack ?? DEFAULT_STACK_NAME },
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code ?? '';
    if (!(error instanceof Error) || !(SETUP_ERRORS.has(error.name) || NETWORK_ERRORS.has(code) || /region is missing/i.test(error.message))) throw error;
    process.stderr.write(
      `refer doctor: cannot reach AWS (${error.name}: ${error.message}).\n` +
        'Check the network, set credentials for the account the stack is in (AWS_PROFILE, or aws configure / aws sso login) and its region (AWS_REGION or --region).\n',
    );
    return 2;
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
  out.write(values.json ? doctorJsonLines(report) : formatDoctorReport(report));
  return report.ok ? 0 : 1;
}
