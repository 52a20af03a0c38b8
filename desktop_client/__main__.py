import sys

from desktop_client.cli import main

sys.exit(main())
