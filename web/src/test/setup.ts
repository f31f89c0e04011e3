import "@testing-library/jest-dom/vitest";
import { configure } from "@testing-library/react";

/* findBy* and waitFor are bounds, not expectations of speed: beside CPU hogs (scripts/test-under-load.sh) a
 * jsdom render of a CloudScape page can take seconds, and a verdict must not change with machine load. */
configure({ asyncUtilTimeout: 15000 });
