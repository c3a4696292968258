// A real OpenID provider for the tests: panva's oidc-provider (OpenID Certified), on 127.0.0.1 at a free
// port, printed as its issuer on the first line of stdout. Its settings are a JSON file named on the
// command line: the signing keys, one client, and the accounts, re-read at every sign-in so that a test
// changes someone's groups or role by writing the file. Sign-in is the provider's own login page
// (devInteractions: any password); the one client needs no consent.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

const file = process.argv[2];
const settings = () => JSON.parse(readFileSync(file, 'utf8'));
const { jwks, client } = settings();
// The one client is a first party: no consent page, not even the one a native client always gets.
const policy = interactionPolicy.base();
policy.get('consent').checks.remove('native_client_prompt');

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    jwks,
    clients: [{
      client_id: client.id,
      client_secret: client.secret,
      // native: a loopback redirect matches at any port (RFC 8252), as each test serves on its own
      application_type: 'native',
      redirect_uris: [`${client.base}/sign-in/oidc/done`],
      post_logout_redirect_uris: [`${client.base}/sign-in`],
    }],
    pkce: { required: () => true },
    conformIdTokenClaims: false,   // the claims in the ID token, as Keycloak and Entra ID put them
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'],
              groups: ['groups', 'a10flow_role'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    cookies: { keys: ['tests only'] },
    interactions: { policy },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(ctx, sub) {
      const account = settings().accounts[sub];
      return account && { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
    async loadExistingGrant(ctx) {
      const { client: asking, session } = ctx.oidc;
      const known = session.grantIdFor(asking.clientId);
      if (known) return provider.Grant.find(known);
      const grant = new provider.Grant({ clientId: asking.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (ctx, error) => console.error(error));
  server.on('request', provider.callback());
  console.log(issuer);
});
