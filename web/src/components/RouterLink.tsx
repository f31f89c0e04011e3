// CloudScape links and buttons that move within the console without reloading the page.
import Button, { type ButtonProps } from "@cloudscape-design/components/button";
import Link, { type LinkProps } from "@cloudscape-design/components/link";
import { useNavigate } from "react-router";

export function RouterLink({ href, ...rest }: LinkProps & { href: string }) {
  const navigate = useNavigate();
  return (
    <Link {...rest} href={href} onFollow={(e) => { if (rest.external) return; e.preventDefault(); navigate(href); }} />
  );
}

export function RouterButton({ href, ...rest }: ButtonProps & { href: string }) {
  const navigate = useNavigate();
  return <Button {...rest} href={href} onFollow={(e) => { e.preventDefault(); navigate(href); }} />;
}
