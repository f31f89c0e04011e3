// The console's entry: CloudScape's global styles and English labels (every control CloudScape draws is
// labelled), the deployment's configuration when there is one, the router, who is signed in, then the pages (each loaded
// when first visited: route-level code splitting keeps the first download small).
import "@cloudscape-design/global-styles/index.css";
import Alert from "@cloudscape-design/components/alert";
import { I18nProvider } from "@cloudscape-design/components/i18n";
import messages from "@cloudscape-design/components/i18n/messages/all.en";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { AuthProvider } from "./auth/auth";
import { loadRuntimeConfig } from "./auth/runtime";
import "./console.css";

const root = createRoot(document.getElementById("root")!);
// On AWS the deployment's configuration says where the API is and how to sign in (auth/runtime.ts).
loadRuntimeConfig().then(
  (runtime) => root.render(
    <StrictMode>
      <I18nProvider locale="en" messages={[messages]}>
        <BrowserRouter>
          <AuthProvider runtime={runtime}>
            <App />
          </AuthProvider>
        </BrowserRouter>
      </I18nProvider>
    </StrictMode>,
  ),
  (e: unknown) => root.render(
    <I18nProvider locale="en" messages={[messages]}>
      <main style={{ maxWidth: 560, margin: "48px auto", padding: "0 16px" }}>
        <Alert type="error" header="The console's configuration is broken">{e instanceof Error ? e.message : String(e)}</Alert>
      </main>
    </I18nProvider>,
  ),
);
