// The page a customer builds with `@stytch/react`: `<B2BIdentityProvider/>` inside a
// `<StytchB2BProvider>`, unmodified, bundled by esbuild at test time (identity_provider.test.mjs).
// The component reads the OAuth request (or the RP's logout request) from the page's URL.
import React from "react";
import { createRoot } from "react-dom/client";
import { B2BIdentityProvider, StytchB2BProvider, createStytchB2BClient } from "@stytch/react/b2b";

let client;

/** A StytchB2BClient pointed at latchkey (`endpoints.testAPIURL`), as `window.client`. */
window.createClient = (publicToken, testAPIURL) => {
  client = createStytchB2BClient(publicToken, { endpoints: { testAPIURL } });
  window.client = client;
};

/** Renders the component; its events and errors are collected for the test. */
window.mountIdentityProvider = () => {
  window.idpEvents = [];
  window.idpErrors = [];
  const callbacks = {
    onEvent: (e) => window.idpEvents.push(e.type),
    onError: (e) => window.idpErrors.push(String(e?.error_type ?? e?.message ?? e)),
  };
  createRoot(document.getElementById("root")).render(
    React.createElement(StytchB2BProvider, { stytch: client }, React.createElement(B2BIdentityProvider, { callbacks })),
  );
};
