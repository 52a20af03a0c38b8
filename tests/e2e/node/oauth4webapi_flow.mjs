// oauth4webapi against the proxy: sign in, exchange, refresh, revoke, then invalid_grant, through one token URL.
// Usage: node oauth4webapi_flow.mjs CONFIG_JSON  (token_url, revoke_url, authorize_url, client_id, redirect_uri)
import * as oauth from "oauth4webapi";

const config = JSON.parse(process.argv[2]);
const as = {
  issuer: new URL(config.token_url).origin,
  authorization_endpoint: config.authorize_url,
  token_endpoint: config.token_url,
  revocation_endpoint: config.revoke_url,
};
const client = { client_id: config.client_id };
// A public client: the client id in the body (oauth4webapi refuses ClientSecretBasic with an empty secret).
const clientAuth = oauth.None();
const local = { [oauth.allowInsecureRequests]: true }; // the local stack is plain HTTP on loopback
const steps = {};

const verifier = oauth.generateRandomCodeVerifier();
const state = oauth.generateRandomState();
const authorize = new URL(as.authorization_endpoint);
authorize.searchParams.set("response_type", "code");
authorize.searchParams.set("client_id", client.client_id);
authorize.searchParams.set("redirect_uri", config.redirect_uri);
authorize.searchParams.set("scope", "user:read chat:write");
authorize.searchParams.set("state", state);
authorize.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
authorize.searchParams.set("code_challenge_method", "S256");
// The user approves at Kick; the browser is sent to the redirect URI.
const approved = await fetch(authorize, { redirect: "manual" });
const callback = oauth.validateAuthResponse(as, client, new URL(approved.headers.get("location")), state);

const tokens = await oauth.processAuthorizationCodeResponse(
  as, client,
  await oauth.authorizationCodeGrantRequest(as, client, clientAuth, callback, config.redirect_uri, verifier, local),
);
steps.signed_in = Boolean(tokens.access_token && tokens.refresh_token);

const refreshed = await oauth.processRefreshTokenResponse(
  as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, local),
);
steps.refreshed = refreshed.refresh_token !== tokens.refresh_token;
steps.access_token = refreshed.access_token;

await oauth.processRevocationResponse(
  await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token, {
    ...local,
    additionalParameters: { token_type_hint: "refresh_token" },
  }),
);
steps.revoked = true;

try {
  await oauth.processRefreshTokenResponse(
    as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshed.refresh_token, local),
  );
  steps.after_revocation = "tokens";
} catch (error) {
  steps.after_revocation = error instanceof oauth.ResponseBodyError ? error.error : String(error);
}
console.log(JSON.stringify(steps));
