// AppAuth-JS (@openid/appauth) against the proxy: sign in, exchange, refresh, revoke, then a refused refresh.
// Usage: node appauth_flow.cjs CONFIG_JSON  (token_url, revoke_url, authorize_url, client_id, redirect_uri)
const {
  AuthorizationRequest,
  AuthorizationServiceConfiguration,
  BaseTokenRequestHandler,
  RevokeTokenRequest,
  TokenRequest,
  GRANT_TYPE_AUTHORIZATION_CODE,
  GRANT_TYPE_REFRESH_TOKEN,
} = require("@openid/appauth");
const { NodeBasedHandler, NodeCrypto, NodeRequestor } = require("@openid/appauth/built/node_support");

async function main() {
  const config = JSON.parse(process.argv[2]);
  const configuration = new AuthorizationServiceConfiguration({
    authorization_endpoint: config.authorize_url,
    token_endpoint: config.token_url,
    revocation_endpoint: config.revoke_url,
  });
  const steps = {};

  const request = new AuthorizationRequest(
    {
      client_id: config.client_id,
      redirect_uri: config.redirect_uri,
      scope: "user:read chat:write",
      response_type: AuthorizationRequest.RESPONSE_TYPE_CODE,
      state: undefined,
      extras: {},
    },
    new NodeCrypto(),
    true, // PKCE S256
  );
  await request.setupCodeVerifier();
  // The URL AppAuth opens in the browser (buildRequestUrl is what its handlers use to open it).
  const url = new NodeBasedHandler().buildRequestUrl(configuration, request);
  steps.authorize_url = url;
  const approved = await fetch(url, { redirect: "manual" });
  if (approved.status !== 302) {
    steps.authorize_status = approved.status;
    console.log(JSON.stringify(steps));
    return;
  }
  const code = new URL(approved.headers.get("location")).searchParams.get("code");

  const tokens = new BaseTokenRequestHandler(new NodeRequestor());
  const signedIn = await tokens.performTokenRequest(
    configuration,
    new TokenRequest({
      client_id: config.client_id,
      redirect_uri: config.redirect_uri,
      grant_type: GRANT_TYPE_AUTHORIZATION_CODE,
      code,
      extras: { code_verifier: request.internal.code_verifier },
    }),
  );
  steps.signed_in = Boolean(signedIn.accessToken && signedIn.refreshToken);

  const refresh = (refreshToken) =>
    tokens.performTokenRequest(
      configuration,
      new TokenRequest({
        client_id: config.client_id,
        redirect_uri: config.redirect_uri,
        grant_type: GRANT_TYPE_REFRESH_TOKEN,
        refresh_token: refreshToken,
      }),
    );
  const refreshed = await refresh(signedIn.refreshToken);
  steps.refreshed = refreshed.refreshToken !== signedIn.refreshToken;
  steps.access_token = refreshed.accessToken;

  steps.revoked = await tokens.performRevokeTokenRequest(
    configuration,
    new RevokeTokenRequest({ token: refreshed.refreshToken, token_type_hint: "refresh_token", client_id: config.client_id }),
  );

  try {
    await refresh(refreshed.refreshToken);
    steps.after_revocation = "tokens";
  } catch (error) {
    steps.after_revocation = String(error && error.message); // NodeRequestor reports the status text only
  }
  console.log(JSON.stringify(steps));
}

main().catch((error) => {
  console.error(String(error && error.stack));
  process.exit(1);
});
