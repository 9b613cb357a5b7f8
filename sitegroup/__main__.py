from sitegroup.cli import main

main()
