// The console's entry: CloudScape's global styles and English labels (every control CloudScape draws is
// labelled), the router, who is signed in, then the pages (each loaded
// when first visited: route-level code splitting keeps the first download small).
import "@cloudscape-design/global-styles/index.css";
import { I18nProvider } from "@cloudscape-design/components/i18n";
import messages from "@cloudscape-design/components/i18n/messages/all.en";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { AuthProvider } from "./auth/auth";
import "./console.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <I18nProvider locale="en" messages={[messages]}>
      <BrowserRouter>
        <AuthProvider>
          <App />
        </AuthProvider>
      </BrowserRouter>
    </I18nProvider>
  </StrictMode>,
);
