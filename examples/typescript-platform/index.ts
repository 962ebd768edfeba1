// `pulumi up` runs this file: the search team's platform, with its outputs as the stack's.
import { searchPlatform } from "./platform";

export = searchPlatform();
