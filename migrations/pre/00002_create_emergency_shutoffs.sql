-- +goose Up
CREATE TABLE IF NOT EXISTS `emergency_shutoffs` (
  `product` VARCHAR(15) NOT NULL,
  `channel` VARCHAR(75) NOT NULL,
  `comment` VARCHAR(500) NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`product`, `channel`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `emergency_shutoffs`;
