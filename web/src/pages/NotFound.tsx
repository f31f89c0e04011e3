import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import { useLocation } from "react-router";

export default function NotFound() {
  const loc = useLocation();
  return (
    <Box padding="l">
      <Header variant="h1">Page not found</Header>
      <p>The console has no page at {loc.pathname}. <Link href="/">Go to the dashboard</Link>.</p>
    </Box>
  );
}
