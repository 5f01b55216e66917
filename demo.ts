// demo placeholder
