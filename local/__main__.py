import sys

from local.dev import main

sys.exit(main())
