// The console's shell: the top bar (who is signed in, their role, sign out), the side navigation, the
// routes (each page a chunk of its own, loaded when first visited), and the way back to sign-in for anyone
// not signed in (remembering the page they asked for).
import AppLayout from "@cloudscape-design/components/app-layout";
import Box from "@cloudscape-design/components/box";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Spinner from "@cloudscape-design/components/spinner";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { lazy, Suspense, useState, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { useAuth } from "./auth/auth";

const SignIn = lazy(() => import("./pages/SignIn"));
const AuthCallback = lazy(() => import("./pages/AuthCallback"));
const Dashboard = lazy(() => import("./pages/Dashboard"));
const Groups = lazy(() => import("./pages/Groups"));
const GroupCreate = lazy(() => import("./pages/GroupCreate"));
const GroupDetail = lazy(() => import("./pages/GroupDetail"));
const Plans = lazy(() => import("./pages/Plans"));
const PlanEditor = lazy(() => import("./pages/PlanEditor"));
const Execution = lazy(() => import("./pages/Execution"));
const History = lazy(() => import("./pages/History"));
const Report = lazy(() => import("./pages/Report"));
const Settings = lazy(() => import("./pages/Settings"));
const NotFound = lazy(() => import("./pages/NotFound"));

function Loading() {
  return (
    <Box textAlign="center" padding="xxl">
      <Spinner size="large" /> <span>Loading…</span>
    </Box>
  );
}

/** A page only a signed-in user sees; anyone else goes to sign-in and comes back here after. */
function SignedIn({ children }: { children: ReactNode }) {
  const { me, loading } = useAuth();
  const loc = useLocation();
  if (loading) return <Loading />;
  if (!me) return <Navigate to={`/sign-in?next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
  return <>{children}</>;
}

function Shell({ children }: { children: ReactNode }) {
  const { me, signOut } = useAuth();
  const navigate = useNavigate();
  const loc = useLocation();
  // open beside the page on a wide screen; on a tablet it waits behind its button
  const [navOpen, setNavOpen] = useState(() => typeof window === "undefined" || window.innerWidth >= 1100);
  const active = "/" + (loc.pathname.split("/")[1] ?? "");
  const follow = (e: CustomEvent<{ href: string; external?: boolean }>) => {
    if (e.detail.external) return;
    e.preventDefault();
    navigate(e.detail.href);
  };
  return (
    <>
      <div id="top-nav" style={{ position: "sticky", top: 0, zIndex: 1002 }}>
        <TopNavigation
          identity={{ href: "/", title: "DRS Orchestrator", onFollow: (e) => { e.preventDefault(); navigate("/"); } }}
          utilities={[
            {
              type: "menu-dropdown",
              text: me?.name ?? "",
              description: `Role: ${me?.roles.join(", ") || "none"} (${me?.kind === "token" ? "API token" : me?.kind === "cognito" ? "Cognito" : "local user"})`,
              iconName: "user-profile",
              items: [{ id: "signout", text: "Sign out" }],
              onItemClick: async (e) => {
                if (e.detail.id === "signout") {
                  await signOut().catch(() => undefined);
                  navigate("/sign-in");
                }
              },
            },
          ]}
          i18nStrings={{ overflowMenuTriggerText: "More", overflowMenuTitleText: "All" }}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        navigationOpen={navOpen}
        onNavigationChange={(e) => setNavOpen(e.detail.open)}
        toolsHide
        ariaLabels={{ navigation: "Console pages", navigationClose: "Close the page list", navigationToggle: "Open the page list" }}
        navigation={
          <SideNavigation
            header={{ href: "/", text: "DRS Orchestrator" }}
            activeHref={active === "/executions" ? "/history" : active}
            onFollow={follow}
            items={[
              { type: "link", text: "Dashboard", href: "/" },
              { type: "link", text: "Protection groups", href: "/groups" },
              { type: "link", text: "Recovery plans", href: "/plans" },
              { type: "link", text: "Executions", href: "/history" },
              { type: "divider" },
              { type: "link", text: "Settings", href: "/settings" },
              { type: "link", text: "API reference (OpenAPI)", href: "/api/v1/openapi.json", external: true },
            ]}
          />
        }
        content={<Suspense fallback={<Loading />}>{children}</Suspense>}
      />
    </>
  );
}

export function App() {
  const page = (el: ReactNode) => (
    <SignedIn>
      <Shell>{el}</Shell>
    </SignedIn>
  );
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route path="/auth/callback" element={<AuthCallback />} />
        <Route path="/" element={page(<Dashboard />)} />
        <Route path="/groups" element={page(<Groups />)} />
        <Route path="/groups/new" element={page(<GroupCreate />)} />
        <Route path="/groups/:id" element={page(<GroupDetail />)} />
        <Route path="/plans" element={page(<Plans />)} />
        <Route path="/plans/new" element={page(<PlanEditor />)} />
        <Route path="/plans/:id" element={page(<PlanEditor />)} />
        <Route path="/history" element={page(<History />)} />
        <Route path="/executions/:id" element={page(<Execution />)} />
        <Route path="/executions/:id/report" element={<SignedIn><Report /></SignedIn>} />
        <Route path="/settings" element={page(<Settings />)} />
        <Route path="/settings/:tab" element={page(<Settings />)} />
        <Route path="*" element={page(<NotFound />)} />
      </Routes>
    </Suspense>
  );
}
